<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>kiosk</name>
    <message>
        <source>Please enter your name.</source>
        <translation>请输入您的姓名。</translation>
    </message>
    <message>
        <source>The name is too short: at least 2 characters.</source>
        <translation>姓名太短：至少 2 个字。</translation>
    </message>
    <message>
        <source>The name is too long: at most 40 characters.</source>
        <translation>姓名太长：最多 40 个字。</translation>
    </message>
    <message>
        <source>Please enter your phone number.</source>
        <translation>请输入您的手机号码。</translation>
    </message>
    <message>
        <source>A phone number has only digits (and + in front for abroad).</source>
        <translation>手机号码只能包含数字（境外号码前加 +）。</translation>
    </message>
    <message>
        <source>An international number has 8 to 15 digits after the +.</source>
        <translation>境外号码在 + 后应有 8 到 15 位数字。</translation>
    </message>
    <message>
        <source>A mobile number has 11 digits: please check it.</source>
        <translation>手机号码应为 11 位，请检查。</translation>
    </message>
    <message>
        <source>A mobile number starts with 13 to 19: please check it.</source>
        <translation>手机号码应以 13 至 19 开头，请检查。</translation>
    </message>
    <message>
        <source>A name has no digits: please check it.</source>
        <translation>姓名中不能有数字，请检查。</translation>
    </message>
    <message>
        <source>Only letters, spaces, - and ' are allowed in a name.</source>
        <translation>姓名只能包含文字、空格、- 和 '。</translation>
    </message>
    <message>
        <source>Are you still there?</source>
        <translation>您还在吗？</translation>
    </message>
    <message>
        <source>This screen starts over in {seconds} s and your choices are cleared.</source>
        <translation>{seconds} 秒后本页将重新开始，您的选择会被清除。</translation>
    </message>
    <message>
        <source>I'm still here</source>
        <translation>我还在</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Try again in {seconds} s.</source>
        <translation>PIN 错误次数过多，请 {seconds} 秒后再试。</translation>
    </message>
    <message>
        <source>Standard</source>
        <translation>标准款</translation>
    </message>
    <message>
        <source>Most ordered</source>
        <translation>订得最多</translation>
    </message>
    <message>
        <source>Also popular</source>
        <translation>同样热门</translation>
    </message>
    <message>
        <source>picked for you</source>
        <translation>为您选择</translation>
    </message>
    <message>
        <source>{option} needs {forced}: they are in the total.</source>
        <translation>{option}需要搭配{forced}，均已计入总价。</translation>
    </message>
    <message>
        <source>Switched to {option}. Removed: {removed}.</source>
        <translation>已换成{option}。已移除：{removed}。</translation>
    </message>
    <message>
        <source>Undone.</source>
        <translation>已撤销。</translation>
    </message>
    <message>
        <source>Thank you: we passed on your wish for {option}.</source>
        <translation>谢谢！我们已转达您对{option}的需求。</translation>
    </message>
    <message>
        <source>Thank you: we will explain {option} better.</source>
        <translation>谢谢！我们会把{option}说明得更清楚。</translation>
    </message>
    <message>
        <source>Tap a character above the keys to finish your name, or 中 ⇄ EN to keep the letters.</source>
        <translation>请点选键盘上方的汉字完成姓名，或按 中 ⇄ EN 保留字母。</translation>
    </message>
    <message>
        <source>Placing your order...</source>
        <translation>正在提交订单……</translation>
    </message>
    <message>
        <source>Something went wrong. Please ask our staff.</source>
        <translation>出了点问题，请联系店员。</translation>
    </message>
    <message>
        <source>Wrong PIN.</source>
        <translation>PIN 码错误。</translation>
    </message>
    <message>
        <source>{option} is not available with your current choices.</source>
        <translation>{option}与您当前的选择不兼容。</translation>
    </message>
    <message>
        <source>{option} needs {forced}: it is in the total.</source>
        <translation>{option}需要搭配{forced}，已计入总价。</translation>
    </message>
    <message>
        <source>Nothing to undo.</source>
        <translation>没有可撤销的操作。</translation>
    </message>
    <message>
        <source>Your order could not be saved, nothing was charged. Please ask our staff.</source>
        <translation>订单未能保存，未产生任何费用。请联系店员。</translation>
    </message>
    <message>
        <source>It does not go with: {choices}.</source>
        <translation>与以下选项不兼容：{choices}。</translation>
    </message>
    <message>
        <source>We do not build this at the moment.</source>
        <translation>目前暂不生产此选项。</translation>
    </message>
    <message>
        <source>Switch to this removes: {removed}.</source>
        <translation>换成这个将移除：{removed}。</translation>
    </message>
    <message>
        <source>Your choices need {options}. Tap Change to see why or to choose otherwise.</source>
        <translation>您的选择需要：{options}。点“更改”可查看原因或改选。</translation>
    </message>
    <message>
        <source>We picked for you: {options}. Tap Change to choose another.</source>
        <translation>已为您选择：{options}。点“更改”可换成其他选项。</translation>
    </message>
    <message>
        <source>Please check the fields marked in red.</source>
        <translation>请检查标红的栏目。</translation>
    </message>
    <message>
        <source>Mon</source>
        <translation>周一</translation>
    </message>
    <message>
        <source>Tue</source>
        <translation>周二</translation>
    </message>
    <message>
        <source>Wed</source>
        <translation>周三</translation>
    </message>
    <message>
        <source>Thu</source>
        <translation>周四</translation>
    </message>
    <message>
        <source>Fri</source>
        <translation>周五</translation>
    </message>
    <message>
        <source>Sat</source>
        <translation>周六</translation>
    </message>
    <message>
        <source>Sun</source>
        <translation>周日</translation>
    </message>
    <message>
        <source>{weekday} {day} {month} {year}</source>
        <translation>{year}年{month_number}月{day}日（{weekday}）</translation>
    </message>
    <message>
        <source>Delivery date: the factory confirms it once you order.</source>
        <translation>交付日期：下单后由工厂确认。</translation>
    </message>
    <message>
        <source>In stock: ready today</source>
        <translation>有现货：今天即可提车</translation>
    </message>
    <message>
        <source>Delivery date: our staff will call you with it</source>
        <translation>交付日期：店员会致电告知您</translation>
    </message>
    <message>
        <source>Ready in about {days} working days: about {date}. The factory confirms the date once you order.</source>
        <translation>大约 {days} 个工作日，约 {date} 可提车。下单后由工厂确认日期。</translation>
    </message>
    <message>
        <source>Ready about {date}</source>
        <translation>约 {date} 可提车</translation>
    </message>
    <message>
        <source>Ready about {date} (the factory is confirming the date)</source>
        <translation>约 {date} 可提车（工厂正在确认日期）</translation>
    </message>
    <message>
        <source>Please note: the factory can finish your bike on {firm}, {days} days later than the {about} we showed you. If that does not suit you, please talk to our staff before you leave.</source>
        <translation>请注意：工厂可在 {firm} 完成您的车，比我们之前显示的 {about} 晚 {days} 天。如不合适，请在离店前与店员沟通。</translation>
    </message>
    <message>
        <source>Ready on {date}, confirmed by the factory.</source>
        <translation>{date} 可提车，工厂已确认。</translation>
    </message>
    <message>
        <source>In stock: ready today, {date}. The factory confirms it once you order.</source>
        <translation>有现货：今天（{date}）即可提车。下单后由工厂确认。</translation>
    </message>
    <message>
        <source>Ready on {date} (confirmed by the factory)</source>
        <translation>{date} 可提车（工厂已确认）</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Ordered {time}</source>
        <translation>下单时间：{time}</translation>
    </message>
    <message>
        <source>included</source>
        <translation>已含</translation>
    </message>
    <message>
        <source>Base price</source>
        <translation>基础价格</translation>
    </message>
    <message>
        <source>Order {number}</source>
        <translation>订单 {number}</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>Orders saved on this kiosk</source>
        <translation>订单保存在本机</translation>
    </message>
    <message>
        <source>Connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>Offline: orders wait on this kiosk</source>
        <translation>离线：订单暂存在本机</translation>
    </message>
    <message>
        <source>Sending orders...</source>
        <translation>正在发送订单……</translation>
    </message>
    <message>
        <source>Design your own bike. Built for you, in our workshop.</source>
        <translation>设计属于您的电动车，由我们的工坊为您打造。</translation>
    </message>
    <message>
        <source>Touch to start</source>
        <translation>点击开始</translation>
    </message>
    <message>
        <source>Choose your bike</source>
        <translation>选择车型</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Looks good — go to summary</source>
        <translation>就这样，查看汇总</translation>
    </message>
    <message>
        <source>Not clear? Tell us</source>
        <translation>看不懂？告诉我们</translation>
    </message>
    <message>
        <source>Order now</source>
        <translation>立即下单</translation>
    </message>
    <message>
        <source>Your details</source>
        <translation>您的信息</translation>
    </message>
    <message>
        <source>Mobile phone</source>
        <translation>手机号码</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>您的姓名</translation>
    </message>
    <message>
        <source>e.g. 138 0013 8000</source>
        <translation>例如 138 0013 8000</translation>
    </message>
    <message>
        <source>Thank you! Your order is placed.</source>
        <translation>谢谢！您的订单已提交。</translation>
    </message>
    <message>
        <source>Show this code in the store to collect your bike.</source>
        <translation>取车时请在店内出示此二维码。</translation>
    </message>
    <message>
        <source>Print receipt</source>
        <translation>打印凭条</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Out of service</source>
        <translation>暂停服务</translation>
    </message>
    <message>
        <source>This kiosk is resting. Please ask our staff, we are happy to help.</source>
        <translation>本机暂停服务，请联系店员，我们乐意为您服务。</translation>
    </message>
    <message>
        <source>Staff only: enter the PIN to leave</source>
        <translation>仅限员工：输入 PIN 码退出</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>Kiosk status</source>
        <translation>本机状态</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Leave the app</source>
        <translation>退出程序</translation>
    </message>
    <message>
        <source>No order store: orders stay in memory on this kiosk (demo).</source>
        <translation>没有订单存储：订单只保存在本机内存中（演示）。</translation>
    </message>
    <message>
        <source>See summary</source>
        <translation>查看汇总</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>no changes</source>
        <translation>无改动</translation>
    </message>
    <message>
        <source>Type the pinyin, then tap the character</source>
        <translation>输入拼音，再点选汉字</translation>
    </message>
    <message>
        <source>Place order</source>
        <translation>提交订单</translation>
    </message>
    <message>
        <source>The factory needs to check this order; our staff will call you.</source>
        <translation>工厂需要核对此订单，店员会与您联系。</translation>
    </message>
    <message>
        <source>The receipt could not be saved, please ask our staff.</source>
        <translation>凭条未能保存，请联系店员。</translation>
    </message>
    <message>
        <source>One moment, please</source>
        <translation>请稍候</translation>
    </message>
    <message>
        <source>The kiosk is getting ready.</source>
        <translation>本机正在准备。</translation>
    </message>
    <message>
        <source>Reading the status...</source>
        <translation>正在读取状态……</translation>
    </message>
    <message>
        <source>Link to the hub: online</source>
        <translation>与总部的连接：在线</translation>
    </message>
    <message>
        <source>Link to the hub: offline (orders wait on this kiosk)</source>
        <translation>与总部的连接：离线（订单暂存在本机）</translation>
    </message>
    <message>
        <source>Orders waiting to go up: {n}</source>
        <translation>等待上传的订单：{n} 个</translation>
    </message>
    <message>
        <source>Catalog in use: a draft folder (the hub refuses its orders)</source>
        <translation>使用中的目录：草稿文件夹（总部会拒收其订单）</translation>
    </message>
    <message>
        <source>Refused by the hub: none</source>
        <translation>总部拒收：无</translation>
    </message>
    <message>
        <source>Total so far: {price}</source>
        <translation>当前合计：{price}</translation>
    </message>
    <message>
        <source>Start from a popular build</source>
        <translation>从热门配置开始</translation>
    </message>
    <message>
        <source>not with your choices</source>
        <translation>与已选项不兼容</translation>
    </message>
    <message>
        <source>Switch to this</source>
        <translation>换成这个</translation>
    </message>
    <message>
        <source>Ask for this combination</source>
        <translation>我想要这个组合</translation>
    </message>
    <message>
        <source>Your {product}</source>
        <translation>您的{product}</translation>
    </message>
    <message>
        <source>Total: {price}</source>
        <translation>合计：{price}</translation>
    </message>
    <message>
        <source>The factory confirmed the date after you printed: tap Print receipt for a receipt with it.</source>
        <translation>您打印后工厂已确认日期：请点“打印凭条”获取带确认日期的凭条。</translation>
    </message>
    <message>
        <source>from {price}</source>
        <translation>{price} 起</translation>
    </message>
    <message>
        <source>Step {step} of {steps}</source>
        <translation>第 {step} 步，共 {steps} 步</translation>
    </message>
    <message>
        <source>Step {step} of {steps}, page {part} of {parts}</source>
        <translation>第 {step} 步，共 {steps} 步（第 {part}/{parts} 页）</translation>
    </message>
    <message>
        <source>Recommended</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>Change {attribute}</source>
        <translation>更改{attribute}</translation>
    </message>
    <message>
        <source>The receipt could not be printed, please ask our staff: they can print it for you.</source>
        <translation>凭条未能打印，请联系店员为您打印。</translation>
    </message>
    <message>
        <source>last problem: {problem}</source>
        <translation>最近的问题：{problem}</translation>
    </message>
    <message>
        <source>Catalog revisions in use: {revisions}</source>
        <translation>使用中的目录版本：{revisions}</translation>
    </message>
    <message>
        <source>Refused by the hub: {n}. Please call each customer.</source>
        <translation>总部拒收：{n} 个。请逐一致电顾客。</translation>
    </message>
    <message>
        <source>Ready later than promised: {n}. Please call each customer.</source>
        <translation>晚于承诺日期完成：{n} 个。请逐一致电顾客。</translation>
    </message>
    <message>
        <source>Your receipt is printing.</source>
        <translation>正在打印凭条。</translation>
    </message>
    <message>
        <source>Your receipt is ready: our staff can print it for you.</source>
        <translation>凭条已备好：店员可为您打印。</translation>
    </message>
    <message>
        <source>Your order number is now {number}: tap Print receipt for a receipt with it.</source>
        <translation>您的订单号已改为 {number}：请点“打印凭条”获取新凭条。</translation>
    </message>
    <message>
        <source>Waiting for pictures before use: {revisions}</source>
        <translation>等待图片到齐后启用：{revisions}</translation>
    </message>
    <message>
        <source>{when} · the hub says: {reason}</source>
        <translation>{when} · 总部原因：{reason}</translation>
    </message>
    <message>
        <source>{was} → {promise} · the hub says: {reason}</source>
        <translation>{was} → {promise} · 总部原因：{reason}</translation>
    </message>
    <message>
        <source>Event {type}</source>
        <translation>事件 {type}</translation>
    </message>
    <message>
        <source>oldest waits {n} h</source>
        <translation>最早的已等 {n} 小时</translation>
    </message>
    <message>
        <source>oldest waits under a minute</source>
        <translation>最早的已等不到 1 分钟</translation>
    </message>
    <message>
        <source>oldest waits {n} min</source>
        <translation>最早的已等 {n} 分钟</translation>
    </message>
</context>
</TS>
